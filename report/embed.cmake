# embed.cmake: cmake -DIN=FILE -DOUT=FILE.c -DNAME=SYMBOL -P embed.cmake
# Writes FILE's bytes as `const char SYMBOL[]`, NUL-terminated (page_assets.h): C11 has no
# #embed, and a hex list has no quoting to get wrong whatever the file holds.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x..,){24})" "\\1\n" body "${body}")
get_filename_component(src "${IN}" NAME)
file(WRITE "${OUT}.tmp" "/* Generated from report/${src} by report/embed.cmake: edit that file, not this one. */\n"
  "#include \"page_assets.h\"\n\nconst char ${NAME}[] = {\n${body}0};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
