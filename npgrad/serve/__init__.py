"""``npgrad serve``: a local web page to draw a digit and see what the network thinks, look
inside it (activations, saliency) and watch a model learn (see ``app`` for the endpoints).

    from npgrad.serve import serve
    serve("runs/mlp/model.safetensors", port=8000)     # blocks; Ctrl-C stops it

Pure standard library (``http.server``) plus NumPy; Pillow (an optional extra) scales the
drawing to 20x20 as ``npgrad predict`` does. The page (static/) is plain HTML, CSS and
JavaScript with SVG charts: no build step, no CDN, it works offline.
"""
from .app import App, make_server

__all__ = ["App", "make_server", "serve"]


def serve(model_path=None, host="127.0.0.1", port=8000, data_dir=None,
          save_to="runs/serve/model.safetensors", verbose=False, ready=print):
    """Run the app until interrupted. ``ready(message)`` is told the URL once it listens."""
    app = App(model_path, data_dir=data_dir, save_to=save_to)
    server = make_server(app, host, port, verbose=verbose)
    url_host = f"[{host}]" if ":" in host else host
    ready(f"npgrad serve: http://{url_host}:{server.server_address[1]}/ "
          f"(model: {app.name or 'none yet - train one from the page'}; Ctrl-C stops)")
    try:
        server.serve_forever()
    finally:
        server.closing.set()
        app.all_events.close()
        server.server_close()
