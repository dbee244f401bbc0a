from shared.run import serve

from .app import RecruitmentSettings, create_app

serve(create_app, RecruitmentSettings())
