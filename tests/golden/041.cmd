walk --mode shadow --guest-page 4k --host-page 4k
