walk --mode native --guest-page 4k
