from django import template

from config.numbers import plain

register = template.Library()

register.filter("plain", plain)
