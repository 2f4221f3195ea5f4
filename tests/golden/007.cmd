sim --workload seq --size 64m --count 50k --pwc none --mode native
