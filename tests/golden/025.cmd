sim --workload random --size 64m --count 50k --tlb 64x4,1536x12:plru --mode native
