"""How the service is served: the gunicorn worker class (``worker``) and the HTTP/1.1 framing it relies on."""
