sim --workload stride --size 128m --count 50k --write 1 --mode shadow
