walk --mode shadow --guest-page 2m --host-page 1g --warm
