from shared.run import serve

from .app import NotifySettings, create_app

serve(create_app, NotifySettings())
