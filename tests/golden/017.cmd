sim --workload mmapbench --size 2m --count 50k --mode nested
