from shared.run import serve

from .app import EnrollmentSettings, create_app

serve(create_app, EnrollmentSettings())
