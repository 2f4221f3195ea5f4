sim --workload random --size 256m --count 100k --write 0.3 --mode nested
