sim --workload zipf --size 256m --count 50k --cpu zen2 --pwc split --mode nested
