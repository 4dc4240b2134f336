"""Labels and number formats of the report in Spanish, Portuguese and English.

Spanish and Portuguese write a decimal comma and a point between thousands (as in Chile,
Mexico's official documents and Brazil: 1.234,5), English a point and a comma (1,234.5).
The table is the project's own: the report needs a few dozen labels and two number styles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("es", "pt", "en")

MONTHS = {
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    "pt": ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

LABELS: dict[str, dict[str, str]] = {
    "title": {
        "es": "Informe de la red: {name}",
        "pt": "Relatório da rede: {name}",
        "en": "Network report: {name}",
    },
    "subtitle_run": {
        "es": "Una simulación de {days} días desde el {start}, semilla {seed}",
        "pt": "Uma simulação de {days} dias a partir de {start}, semente {seed}",
        "en": "One run of {days} days from {start}, seed {seed}",
    },
    "subtitle_ensemble": {
        "es": "Conjunto de {n} réplicas de {days} días desde el {start}",
        "pt": "Conjunto de {n} réplicas de {days} dias a partir de {start}",
        "en": "Ensemble of {n} replications of {days} days from {start}",
    },
    "headline": {"es": "Resultados clave", "pt": "Resultados principais", "en": "Key results"},
    "map": {"es": "Mapa de la red", "pt": "Mapa da rede", "en": "Network map"},
    "map_note": {
        "es": "Hospitales coloreados por {key}, tamaño según camas; líneas: las {routes} rutas "
        "de traslado más usadas; bordes: {borders}.",
        "pt": "Hospitais coloridos por {key}, tamanho pelos leitos; linhas: as {routes} rotas "
        "de transferência mais usadas; limites: {borders}.",
        "en": "Hospitals coloured by {key}, sized by beds; lines: the {routes} busiest "
        "transfer routes; borders: {borders}.",
    },
    "map_note_no_routes": {
        "es": "Hospitales coloreados por {key} (media de las réplicas), tamaño según camas; "
        "bordes: {borders}.",
        "pt": "Hospitais coloridos por {key} (média das réplicas), tamanho pelos leitos; "
        "limites: {borders}.",
        "en": "Hospitals coloured by {key} (mean of the replications), sized by beds; "
        "borders: {borders}.",
    },
    "borders_boundary": {
        "es": "el límite del escenario y envolventes de los lugares de cada región",
        "pt": "o limite do cenário e envoltórias dos lugares de cada região",
        "en": "the scenario's boundary and hulls of each region's places",
    },
    "borders_shared": {
        "es": "divisiones oficiales simplificadas (IBGE, BCN, INEGI)",
        "pt": "divisões oficiais simplificadas (IBGE, BCN, INEGI)",
        "en": "official divisions, simplified (IBGE, BCN, INEGI)",
    },
    "borders_hull": {
        "es": "envolventes de los lugares GeoNames de cada región (aproximadas)",
        "pt": "envoltórias dos lugares GeoNames de cada região (aproximadas)",
        "en": "hulls of each region's GeoNames places (approximate)",
    },
    "key_icu_hours_95": {
        "es": "horas con la UCI dotada al 95 % o más",
        "pt": "horas com a UTI operacional a 95% ou mais",
        "en": "hours at or above 95% of staffed ICU",
    },
    "key_icu_occupancy": {
        "es": "ocupación media de la UCI dotada",
        "pt": "ocupação média da UTI operacional",
        "en": "mean occupancy of staffed ICU",
    },
    "key_ward_occupancy": {
        "es": "ocupación media de sala dotada",
        "pt": "ocupação média da enfermaria operacional",
        "en": "mean occupancy of staffed ward",
    },
    "key_waiting": {
        "es": "pacientes esperando (máximo)",
        "pt": "pacientes aguardando (máximo)",
        "en": "patients waiting (peak)",
    },
    "key_hours_at_full_icu": {
        "es": "horas con la UCI dotada llena",
        "pt": "horas com a UTI operacional cheia",
        "en": "hours with staffed ICU full",
    },
    "points": {"es": "p. p.", "pt": "p.p.", "en": "pp"},
    "ci": {"es": "IC 95 %", "pt": "IC 95%", "en": "95% CI"},
    "per_day": {"es": "por día", "pt": "por dia", "en": "per day"},
    "whole_run": {"es": "toda la simulación", "pt": "toda a simulação", "en": "whole run"},
    "day": {"es": "Día", "pt": "Dia", "en": "Day"},
    "zoom": {"es": "Acercar:", "pt": "Aproximar:", "en": "Zoom to:"},
    "all_network": {"es": "Toda la red", "pt": "Toda a rede", "en": "Whole network"},
    "hospitals": {"es": "hospitales", "pt": "hospitais", "en": "hospitals"},
    "clinics": {"es": "postas rurales", "pt": "postos rurais", "en": "rural posts"},
    "routes": {"es": "traslados", "pt": "transferências", "en": "transfers"},
    "region": {"es": "Región", "pt": "Região", "en": "Region"},
    "regions": {"es": "Regiones", "pt": "Regiões", "en": "Regions"},
    "fans": {
        "es": "Ocupación por región frente a camas dotadas",
        "pt": "Ocupação por região frente aos leitos operacionais",
        "en": "Occupancy per region against staffed beds",
    },
    "fans_note_run": {
        "es": "Camas ocupadas (línea) y dotadas (discontinua), promedio diario; las {n} "
        "regiones con más camas.",
        "pt": "Leitos ocupados (linha) e operacionais (tracejada), média diária; as {n} "
        "regiões com mais leitos.",
        "en": "Beds occupied (line) and staffed (dashed), daily mean; the {n} regions "
        "with the most beds.",
    },
    "fans_note_ensemble": {
        "es": "Mediana de las réplicas con bandas del 50 % y 90 %; discontinua: camas "
        "dotadas; las {n} regiones con más camas.",
        "pt": "Mediana das réplicas com faixas de 50% e 90%; tracejada: leitos "
        "operacionais; as {n} regiões com mais leitos.",
        "en": "Median of the replications with 50% and 90% bands; dashed: staffed beds; "
        "the {n} regions with the most beds.",
    },
    "ward": {"es": "Sala", "pt": "Enfermaria", "en": "Ward"},
    "icu": {"es": "UCI", "pt": "UTI", "en": "ICU"},
    "intermediate": {"es": "Intermedio", "pt": "Intermediário", "en": "Intermediate"},
    "occupied": {"es": "ocupadas", "pt": "ocupados", "en": "occupied"},
    "staffed": {"es": "dotadas", "pt": "operacionais", "en": "staffed"},
    "beds": {"es": "camas", "pt": "leitos", "en": "beds"},
    "bottlenecks": {
        "es": "Hospitales cuello de botella",
        "pt": "Hospitais gargalo",
        "en": "Bottleneck hospitals",
    },
    "bottlenecks_note_run": {
        "es": "Ordenados por horas con la UCI dotada al 95 % o más.",
        "pt": "Ordenados por horas com a UTI operacional a 95% ou mais.",
        "en": "Ranked by hours at or above 95% of staffed ICU.",
    },
    "bottlenecks_note_ensemble": {
        "es": "Probabilidad de estar entre los 10 peores de cada ranking, sobre las réplicas.",
        "pt": "Probabilidade de estar entre os 10 piores de cada ranking, sobre as réplicas.",
        "en": "Probability of being among the 10 worst by each ranking, over the "
        "replications.",
    },
    "hospital": {"es": "Hospital", "pt": "Hospital", "en": "Hospital"},
    "rank": {"es": "N.º", "pt": "N.º", "en": "#"},
    "icu_beds": {"es": "Camas UCI", "pt": "Leitos UTI", "en": "ICU beds"},
    "peak_icu": {"es": "UCI máx.", "pt": "UTI máx.", "en": "Peak ICU"},
    "probability": {"es": "Probabilidad", "pt": "Probabilidade", "en": "Probability"},
    "ranking": {"es": "Ranking", "pt": "Ranking", "en": "Ranking"},
    "deaths_waiting": {
        "es": "Muertes esperando cama UCI",
        "pt": "Óbitos aguardando leito de UTI",
        "en": "Deaths waiting for an ICU bed",
    },
    "transfers_out": {"es": "Traslados salientes", "pt": "Transferências de saída",
                      "en": "Transfers out"},
    "teleconsult_backlog": {
        "es": "Teleconsultas pendientes (máximo)",
        "pt": "Teleconsultas pendentes (máximo)",
        "en": "Teleconsult backlog (peak)",
    },
    "deaths": {"es": "Muertes", "pt": "Óbitos", "en": "Deaths"},
    "patients": {"es": "Pacientes", "pt": "Pacientes", "en": "Patients"},
    "admissions": {"es": "Ingresos", "pt": "Internações", "en": "Admissions"},
    "icu_admissions": {"es": "Ingresos a UCI", "pt": "Internações em UTI",
                       "en": "ICU admissions"},
    "transfers": {"es": "Traslados", "pt": "Transferências", "en": "Transfers"},
    "teleconsults": {"es": "Teleconsultas", "pt": "Teleconsultas", "en": "Teleconsults"},
    "mean_icu_occupancy": {"es": "Ocupación media UCI", "pt": "Ocupação média UTI",
                           "en": "Mean ICU occupancy"},
    "peak_icu_occupancy": {"es": "Ocupación máxima UCI", "pt": "Ocupação máxima UTI",
                           "en": "Peak ICU occupancy"},
    "mean_ward_occupancy": {"es": "Ocupación media de sala", "pt": "Ocupação média enfermaria",
                            "en": "Mean ward occupancy"},
    "mean_wait_hours": {"es": "Espera media (h)", "pt": "Espera média (h)",
                        "en": "Mean wait (h)"},
    "p95_wait_hours": {"es": "Espera p95 (h)", "pt": "Espera p95 (h)", "en": "Wait p95 (h)"},
    "wait_hours_mean": {"es": "Espera media (h)", "pt": "Espera média (h)",
                        "en": "Mean wait (h)"},
    "wait_hours_p95": {"es": "Espera p95 (h)", "pt": "Espera p95 (h)", "en": "Wait p95 (h)"},
    "died_waiting_for_icu": {
        "es": "Muertes esperando cama UCI",
        "pt": "Óbitos aguardando leito de UTI",
        "en": "Deaths waiting for an ICU bed",
    },
    "deaths_at_posts": {"es": "Muertes en postas", "pt": "Óbitos em postos",
                        "en": "Deaths at posts"},
    "boarded": {"es": "Esperaron cama", "pt": "Aguardaram leito", "en": "Boarded"},
    "peak_waiting": {"es": "Esperando (máximo)", "pt": "Aguardando (máximo)",
                     "en": "Waiting (peak)"},
    "comparison": {"es": "Comparación", "pt": "Comparação", "en": "Comparison"},
    "comparison_note_runs": {
        "es": "Dos simulaciones: {a} y {b}; la diferencia es {b} − {a} (sin intervalo: "
        "una réplica de cada una).",
        "pt": "Duas simulações: {a} e {b}; a diferença é {b} − {a} (sem intervalo: uma "
        "réplica de cada).",
        "en": "Two runs: {a} and {b}; the difference is {b} − {a} (no interval: one "
        "replication each).",
    },
    "comparison_note_ensembles": {
        "es": "Media e intervalo del 95 % de cada conjunto, y de la diferencia pareada {b} − "
        "{a} (números aleatorios comunes).",
        "pt": "Média e intervalo de 95% de cada conjunto, e da diferença pareada {b} − {a} "
        "(números aleatórios comuns).",
        "en": "Mean and 95% interval of each ensemble, and of the paired difference {b} − "
        "{a} (common random numbers).",
    },
    "result": {"es": "Resultado", "pt": "Resultado", "en": "Result"},
    "difference": {"es": "Diferencia", "pt": "Diferença", "en": "Difference"},
    "better_share": {"es": "Réplicas mejores", "pt": "Réplicas melhores",
                     "en": "Replications better"},
    "footer": {"es": "Origen", "pt": "Origem", "en": "Provenance"},
    "scenario": {"es": "Escenario", "pt": "Cenário", "en": "Scenario"},
    "seed": {"es": "Semilla", "pt": "Semente", "en": "Seed"},
    "seeds": {"es": "Semillas", "pt": "Sementes", "en": "Seeds"},
    "period": {"es": "Período", "pt": "Período", "en": "Period"},
    "versions": {"es": "Versiones", "pt": "Versões", "en": "Versions"},
    "sources": {"es": "Fuentes de datos", "pt": "Fontes de dados", "en": "Data sources"},
    "created": {"es": "Simulado", "pt": "Simulado", "en": "Simulated"},
    "written": {"es": "Informe escrito", "pt": "Relatório escrito", "en": "Report written"},
    "no_map": {
        "es": "Este conjunto no guarda la ubicación de sus establecimientos; el mapa se omite.",
        "pt": "Este conjunto não guarda a localização dos estabelecimentos; o mapa é omitido.",
        "en": "This ensemble keeps no positions of its facilities; the map is left out.",
    },
    "no_icu": {"es": "sin UCI", "pt": "sem UTI", "en": "without ICU"},
}  # fmt: skip


@dataclass(frozen=True)
class Language:
    """Labels and number formats of one language."""

    code: str

    def __post_init__(self) -> None:
        if self.code not in LANGUAGES:
            raise ValueError(
                f"--lang {self.code}: unknown language; expected one of {', '.join(LANGUAGES)}"
            )

    @property
    def decimal(self) -> str:
        return "." if self.code == "en" else ","

    @property
    def thousands(self) -> str:
        return "," if self.code == "en" else "."

    @property
    def plotly_separators(self) -> str:
        """Plotly's ``layout.separators``: the decimal mark, then the thousands mark."""
        return self.decimal + self.thousands

    def t(self, label: str, **values: Any) -> str:
        """The label ``label`` in this language, with ``values`` filled in."""
        text = LABELS[label][self.code]
        return text.format(**values) if values else text

    def number(self, value: Any, digits: int = 0) -> str:
        """``value`` with ``digits`` decimals in this language's style; a dash when unknown."""
        if value is None:
            return "–"
        x = float(value)
        if not math.isfinite(x):
            return "–"
        text = f"{x:,.{digits}f}"
        if self.code == "en":
            return text
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".")

    def percent(self, share: Any, digits: int = 1) -> str:
        """A share as a percentage (Spanish puts a space before the sign)."""
        if share is None or not math.isfinite(float(share)):
            return "–"
        sign = "\u00a0%" if self.code == "es" else "%"
        return self.number(100.0 * float(share), digits) + sign

    def date(self, when: Any) -> str:
        """A date as ``1 jun 2025`` (``1 Jun 2025`` in English)."""
        return f"{when.day} {MONTHS[self.code][when.month - 1]} {when.year}"
