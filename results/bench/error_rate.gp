# error_rate.gp, written by `badup plot`: redraw with `gnuplot error_rate.gp` in this folder.
# Data: error_rate.dat, one row per proxy and injected fault rate (bench/fault_sweep.sh):
#   1 proxy (a name without blanks; e.g. haproxy+retries for a variant)
#   2 fault_rate   fraction of upstream requests given a fault (0..1)
#   3 error_rate   fraction of client requests that failed or got a non-2xx status (0..1)
#   4 requests     client requests counted (responses + failures)
#   5 errors       of which non-2xx or failed
#   6 requests_s   complete responses per second
#   7 upstream_attempts  requests the upstream (the simulator) received, from its control
#                  API's GET /stats "requests"; more than column 4 means the proxy retried
#                  (optional: older files have six columns)
# Lines starting with '#' are comments. A variant (name with '+') is drawn dashed.
set terminal svg size 900,600 noenhanced font 'sans,12' background '#ffffff'
set output 'error_rate.svg'
set title 'Client-visible error rate against injected upstream fault rate'
set xlabel 'injected upstream fault rate (% of requests)'
set ylabel 'client-visible errors: non-2xx or failed (% of requests)'
set grid
set key top left box
set xrange [0:*]
set yrange [0:*]
proxies = "haproxy nginx haproxy+retries nginx+retries"
plot \
  'error_rate.dat' using (100*$2):(strcol(1) eq word(proxies, 1) ? 100*$3 : NaN) with linespoints linewidth 2 pointtype 7 linecolor 1 dashtype 1 title word(proxies, 1), \
  'error_rate.dat' using (100*$2):(strcol(1) eq word(proxies, 2) ? 100*$3 : NaN) with linespoints linewidth 2 pointtype 7 linecolor 2 dashtype 1 title word(proxies, 2), \
  'error_rate.dat' using (100*$2):(strcol(1) eq word(proxies, 3) ? 100*$3 : NaN) with linespoints linewidth 2 pointtype 7 linecolor 3 dashtype 2 title word(proxies, 3), \
  'error_rate.dat' using (100*$2):(strcol(1) eq word(proxies, 4) ? 100*$3 : NaN) with linespoints linewidth 2 pointtype 7 linecolor 4 dashtype 2 title word(proxies, 4), \
  x with lines dashtype 3 linecolor 'gray50' title 'errors = faults (nothing hidden)'
