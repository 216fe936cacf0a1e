from django.db import models


class Source(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    IMPORT = "import", "File import"
    API = "api", "API"
    PROVIDER = "provider", "Data provider"
