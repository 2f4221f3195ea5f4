sim --workload forkbench --count 50k --wl-opt procs=4 --no-pcid --mode shadow
