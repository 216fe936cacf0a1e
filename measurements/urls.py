app_name = "measurements"
urlpatterns = []
