walk --mode native --guest-page 2m --warm
