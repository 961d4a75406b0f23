module badup/go-reverseproxy

go 1.19
