# capacity.gp, written by `badup plot`: redraw with `gnuplot capacity.gp` in this folder.
# Data: capacity.dat, one row per proxy and upstream (bench/capacity.sh):
#   1 proxy       the proxy loaded (a name without blanks)
#   2 upstream    what served behind it: badup (its healthy path, scenarios/ok.lua) or
#                 nginx (return 200), or any other name
#   3 requests_s  the proxy's complete responses per second (median of the rounds)
# Lines starting with '#' are comments. One bar per row, clustered by proxy.
set terminal svg size 900,600 noenhanced font 'sans,12' background '#ffffff'
set output 'capacity.svg'
set title 'Capacity: proxy requests/s with badup or nginx as the upstream'
set xlabel 'proxy (ratio: requests/s with badup / with nginx upstream)'
set ylabel 'proxy throughput (requests/s)'
set grid ytics
set key top right box
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set style fill solid 0.8 border -1
set boxwidth 0.4
set xrange [-0.6:1.6]
set xtics nomirror ('haproxy (1.071)' 0, 'nginx (0.924)' 1)
proxies = "haproxy nginx"
upstreams = "badup nginx"
# position of word s in list l (0-based), -1 if absent
pos(l, s, i) = i > words(l) ? -1 : (word(l, i) eq s ? i - 1 : pos(l, s, i + 1))
bw = 0.4
x(p, u) = pos(proxies, p, 1) + (u - 1 - (words(upstreams) - 1) / 2.0) * bw
plot for [u=1:words(upstreams)] 'capacity.dat' using (x(strcol(1), u)):(strcol(2) eq word(upstreams, u) ? $3 : NaN) with boxes linecolor u title 'upstream: '.word(upstreams, u), \
  for [u=1:words(upstreams)] '' using (x(strcol(1), u)):(strcol(2) eq word(upstreams, u) ? $3 : NaN):(sprintf('%.0f', $3)) with labels offset 0,0.7 font ',9' notitle
