sim --workload sparse --size 64m --count 50k --levels 5 --mode native
