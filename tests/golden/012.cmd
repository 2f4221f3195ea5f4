sim --workload chase --size 32m --count 50k --cpu zen4 --mode shadow
