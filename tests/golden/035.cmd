sim --trace bench/data/sort-3000.xlt --mode nested
