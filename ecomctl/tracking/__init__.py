"""Live order tracking from the client side: follow an order's pushed saga steps over the
gateway's WebSocket (`ecomctl watch`, the scenarios' `watch` step)."""
