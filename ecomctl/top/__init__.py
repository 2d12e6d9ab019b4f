"""`ecomctl top`: RED per service, consumer lag, the saga's outcomes and firing alerts, from
the stack's Prometheus (the figures Grafana would show, in the terminal)."""
