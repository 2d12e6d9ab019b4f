"""Release analysis and switchover: the figures, comparisons and gates that decide a canary step."""
