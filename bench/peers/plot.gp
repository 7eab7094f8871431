# Delivered frames/s against server CPU for each target of a peers run:
#   node dist/bench/peers/main.js --loads 2x4,4x8,8x8 --data /tmp/peers.tsv
#   gnuplot -e "data='/tmp/peers.tsv'; out='bench/peers.png'" bench/peers/plot.gp
# Lines join each target's means over the rounds (one point per load); small points are the runs.
if (!exists("data")) data = '/tmp/peers.tsv'
if (!exists("out")) out = 'bench/peers.png'
if (!exists("targets")) targets = system("awk '$1==\"mean\" && !seen[$2]++ {printf \"%s \", $2}' ".data)
set terminal pngcairo size 1000,650 font 'DejaVu Sans,11'
set output out
set title 'Same audio load (80-byte frames every 20 ms, N rooms × M speakers) on one host'
set xlabel 'server CPU (% of one core, user + system, all threads)'
set ylabel 'delivered frames/s'
set key top left box opaque
set grid
set datafile separator '\t'
set xrange [0:*]
set yrange [0:*]
set format y '%.0f'
colour(i) = word('#1f77b4 #9467bd #17becf #e377c2 #d62728 #2ca02c #ff7f0e #8c564b #7f7f7f', i)
rows(kind, t) = sprintf("< awk -F'\t' '$1 == \"%s\" && $2 == \"%s\"' %s", kind, t, data)
plot for [i=1:words(targets)] rows('mean', word(targets, i)) using 4:5 \
       with linespoints lw 2 pt 7 ps 1.3 lc rgb colour(i) title word(targets, i), \
     for [i=1:words(targets)] rows('run', word(targets, i)) using 4:5 \
       with points pt 6 ps 0.8 lc rgb colour(i) notitle
