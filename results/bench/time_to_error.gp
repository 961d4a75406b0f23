# time_to_error.gp, written by `badup plot`: redraw with `gnuplot time_to_error.gp` in this folder.
# Data: time_to_error.dat (columns documented in its header), one block per proxy.
set terminal svg size 3300,600 noenhanced font 'sans,12' background '#ffffff'
set output 'time_to_error.svg'
set title 'Time to error: how long the client waited for its outcome, per fault and proxy'
set xlabel 'scenario (upstream fault); point label: what the client got'
set ylabel 'time to outcome (ms, log scale)'
set logscale y
set grid ytics
set key outside top right box
set bmargin 10
set xrange [-0.6:41.4]
set xtics rotate by -45 nomirror ('bad_chunk_size' 0, 'bad_content_length' 1, 'bare_lf' 2, 'blackhole' 3, 'chunked_ok' 4, 'client_dup_content_length' 5, 'close_delimited' 6, 'close_mid_body' 7, 'close_mid_headers' 8, 'close_on_accept' 9, 'dup_content_length' 10, 'empty_reply' 11, 'fail_first_then_ok' 12, 'garbage' 13, 'half_close' 14, 'http09' 15, 'huge_header' 16, 'idle_close' 17, 'interim_1xx_then_close' 18, 'keepalive_race' 19, 'malformed_status_line' 20, 'no_colon_header' 21, 'nul_in_header' 22, 'obs_fold' 23, 'ok' 24, 'refuse' 25, 'reset_after_response' 26, 'reset_before_response' 27, 'reset_mid_body' 28, 'reset_mid_headers' 29, 'reset_on_accept' 30, 'slow_drip' 31, 'space_before_colon' 32, 'stall_body' 33, 'stall_headers' 34, 'status_204_with_body' 35, 'status_444' 36, 'status_999' 37, 'stop_reading' 38, 'te_and_cl' 39, 'truncated_body' 40, 'truncated_chunked' 41)
set arrow from graph 0, first 2000 to graph 1, first 2000 nohead dashtype 2 linecolor 'gray40'
set label 'proxy read timeout (2 s)' at graph 0.01, first 2000 offset 0,0.6 textcolor 'gray40'
plot \
  'time_to_error.dat' index 0 using 1:($2 > 0.1 ? $2 : 0.1) with points pointtype 7 pointsize 1.2 linecolor 1 title 'haproxy', \
  '' index 0 using 1:($2 > 0.1 ? $2 : 0.1):3 with labels offset 0,0.9 font ',8' textcolor lt 1 notitle, \
  'time_to_error.dat' index 1 using 1:($2 > 0.1 ? $2 : 0.1) with points pointtype 7 pointsize 1.2 linecolor 2 title 'nginx', \
  '' index 1 using 1:($2 > 0.1 ? $2 : 0.1):3 with labels offset 0,0.9 font ',8' textcolor lt 2 notitle
