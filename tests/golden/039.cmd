walk --mode nested --guest-page 4k --host-page 4k
