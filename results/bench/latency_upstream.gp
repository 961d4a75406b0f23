# latency_upstream.gp, written by `badup plot`: redraw with `gnuplot latency_upstream.gp` in this folder.
# Data: latency_upstream.dat (bench/latency_sweep.sh), one row per series and point:
#   1 series (a proxy, or direct: the simulator alone)  2 connections
#   3 upstream_latency_ms (mean injected)  4 p50  5 p90  6 p99  7 p99.9  8 max (ms)
#   9 requests_s  10 requests  11 errors  12 distribution of the upstream latency
#   13 upstream_connections (optional)
# One panel per series; x is column 3.
set terminal svg size 1300,560 noenhanced font 'sans,12' background '#ffffff'
set output 'latency_upstream.svg'
set multiplot layout 1,3 title 'Client latency against injected upstream latency (exponential distribution)' font ',14'
set xlabel 'injected upstream latency, mean (ms)'
set ylabel 'client latency (ms, log scale)'
set logscale y
set yrange [0.086:1183.62]
set grid
set key top left box font ',9'
set xrange [0:*]
set offsets 0, graph 0.04, 0, 0
set title 'direct'
plot \
  'latency_upstream.dat' using 3:(strcol(1) eq 'direct' ? $4 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#1f4e9c' title 'p50', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'direct' ? $5 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#2a9d4b' title 'p90', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'direct' ? $6 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#e08a00' title 'p99', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'direct' ? $7 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#c8102e' title 'p99.9', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'direct' ? $8 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#666666' dashtype 2 title 'max', \
  x > 0 ? x : NaN with lines linewidth 1.5 dashtype 3 linecolor 'black' title 'injected mean'
set title 'haproxy'
plot \
  'latency_upstream.dat' using 3:(strcol(1) eq 'haproxy' ? $4 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#1f4e9c' title 'p50', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'haproxy' ? $5 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#2a9d4b' title 'p90', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'haproxy' ? $6 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#e08a00' title 'p99', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'haproxy' ? $7 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#c8102e' title 'p99.9', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'haproxy' ? $8 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#666666' dashtype 2 title 'max', \
  x > 0 ? x : NaN with lines linewidth 1.5 dashtype 3 linecolor 'black' title 'injected mean'
set title 'nginx'
plot \
  'latency_upstream.dat' using 3:(strcol(1) eq 'nginx' ? $4 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#1f4e9c' title 'p50', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'nginx' ? $5 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#2a9d4b' title 'p90', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'nginx' ? $6 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#e08a00' title 'p99', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'nginx' ? $7 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#c8102e' title 'p99.9', \
  'latency_upstream.dat' using 3:(strcol(1) eq 'nginx' ? $8 : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '#666666' dashtype 2 title 'max', \
  x > 0 ? x : NaN with lines linewidth 1.5 dashtype 3 linecolor 'black' title 'injected mean'
unset multiplot
