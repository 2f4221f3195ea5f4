walk --mode native --guest-page 4k --host-page 4k
