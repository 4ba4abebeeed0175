"""HTTP routers: the Broker API shape (``/v1``) and the mock's control API (``/_mock``)."""
