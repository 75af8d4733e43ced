"""Synthetic demo exports (`finsam demo-data`): `from pipelines.demo.generate import generate`.

generate.py draws the world (world.py), the SUS episodes (sus.py) and the people in them
(persons.py), then writes each source family: the insats register and stegmatning
(register.py), SUS (sus.py), Pro Capita (procapita.py) and the money (economy.py). codes.py
holds the code lists and distributions, shared.py the small array helpers, files.py the file
forms.
"""
