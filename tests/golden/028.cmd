sim --workload random --size 64m --count 50k --cpu sapphirerapids --page-policy 1g --mode native
