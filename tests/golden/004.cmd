sim --workload zipf --size 1g --count 100k --write 0.3 --page-policy thp --mode native
