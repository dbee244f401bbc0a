from shared.run import serve

from .app import PlacementSettings, create_app

serve(create_app, PlacementSettings())
