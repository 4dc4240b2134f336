"""The app's labels in Spanish, Portuguese and English (numbers as ``regional.report.i18n``
writes them: a decimal comma in Spanish and Portuguese)."""

from __future__ import annotations

import os
from typing import Any

from regional.report.i18n import LANGUAGES, Language

LANGUAGE_VARIABLE = "REGIONAL_APP_LANG"

TEXT: dict[str, dict[str, str]] = {
    "title": {"es": "Gemelo de la red", "pt": "Gêmeo da rede", "en": "Regional twin"},
    "scenario": {"es": "Escenario", "pt": "Cenário", "en": "Scenario"},
    "days": {"es": "Días simulados", "pt": "Dias simulados", "en": "Days simulated"},
    "beds": {"es": "Camas", "pt": "Leitos", "en": "Beds"},
    "beds_note": {"es": "desde el día 0, sin enfermeras nuevas", "pt": "desde o dia 0, sem novos enfermeiros", "en": "from day 0, no new nurses"},
    "extra_ward_beds": {"es": "Camas de sala añadidas", "pt": "Leitos de enfermaria a mais", "en": "Ward beds added"},
    "ward_to_icu_beds": {"es": "Camas de sala hechas UCI", "pt": "Leitos de enfermaria feitos UTI", "en": "Ward beds made ICU"},
    "staff": {"es": "Personal", "pt": "Pessoal", "en": "Staff"},
    "absenteeism": {"es": "Ausentismo de enfermería", "pt": "Absenteísmo de enfermagem", "en": "Nurse absenteeism"},
    "ward_patients_per_nurse": {"es": "Pacientes de sala por enfermera", "pt": "Pacientes de enfermaria por enfermeiro", "en": "Ward patients per nurse"},
    "equipment": {"es": "Equipos y telemedicina", "pt": "Equipamentos e telemedicina", "en": "Equipment and telemedicine"},
    "ventilators_per_icu_bed": {"es": "Ventiladores por cama UCI", "pt": "Ventiladores por leito de UTI", "en": "Ventilators per ICU bed"},
    "telemedicine_coverage": {"es": "Postas con telemedicina", "pt": "Postos com telemedicina", "en": "Clinics with telemedicine"},
    "surge": {"es": "Alza respiratoria", "pt": "Surto respiratório", "en": "Respiratory surge"},
    "surge_note": {"es": "desde el día 0", "pt": "desde o dia 0", "en": "from day 0"},
    "surge_factor": {"es": "Demanda en el máximo x", "pt": "Demanda no pico x", "en": "Peak demand x"},
    "surge_ramp_days": {"es": "Días hasta el máximo", "pt": "Dias até o pico", "en": "Days to the peak"},
    "run": {"es": "Simular", "pt": "Simular", "en": "Run"},
    "cancel": {"es": "Detener", "pt": "Parar", "en": "Cancel"},
    "waiting": {"es": "Elija un escenario, mueva las palancas y pulse Simular.", "pt": "Escolha um cenário, mova as alavancas e clique em Simular.", "en": "Pick a scenario, move the levers and press Run."},
    "building": {"es": "Construyendo la red...", "pt": "Construindo a rede...", "en": "Building the network..."},
    "running": {"es": "Simulando: ventana {window} de {windows}", "pt": "Simulando: janela {window} de {windows}", "en": "Running: window {window} of {windows}"},
    "done": {"es": "Listo: {windows} ventanas, {days} días", "pt": "Pronto: {windows} janelas, {days} dias", "en": "Done: {windows} windows, {days} days"},
    "deaths": {"es": ", {deaths} muertes", "pt": ", {deaths} óbitos", "en": ", {deaths} deaths"},
    "stopped": {"es": "Detenido: {message}", "pt": "Parado: {message}", "en": "Stopped: {message}"},
    "first_picture": {"es": "primera imagen {seconds} s después de Simular", "pt": "primeira imagem {seconds} s depois de Simular", "en": "first picture {seconds} s after Run"},
    "occupancy_title": {"es": "Camas en uso, de las dotadas", "pt": "Leitos em uso, dos operacionais", "en": "Hospital beds in use, of staffed"},
    "ward_in_use": {"es": "camas de sala en uso", "pt": "leitos de enfermaria em uso", "en": "ward beds in use"},
    "icu_in_use": {"es": "camas UCI en uso", "pt": "leitos de UTI em uso", "en": "ICU beds in use"},
    "queue_title": {"es": "Pacientes esperando cama", "pt": "Pacientes esperando leito", "en": "Patients waiting for a bed"},
    "queue_series": {"es": "pacientes esperando cama", "pt": "pacientes esperando leito", "en": "patients waiting for a bed"},
    "day": {"es": "día {day}", "pt": "dia {day}", "en": "day {day}"},
    "islands": {"es": "islas", "pt": "ilhas", "en": "islands"},
    "legend": {"es": "{n} establecimientos. Hospitales según camas UCI dotadas en uso (camas de sala sin UCI), tamaño según camas:", "pt": "{n} estabelecimentos. Hospitais pelos leitos de UTI operacionais em uso (enfermaria sem UTI), tamanho pelos leitos:", "en": "{n} facilities. Hospitals by staffed ICU beds in use (ward beds without an ICU), sized by beds:"},
    "band_low": {"es": "menos de 85 %", "pt": "menos de 85%", "en": "under 85%"},
    "band_mid": {"es": "85 a 95 %", "pt": "85 a 95%", "en": "85 to 95%"},
    "band_high": {"es": "95 % o más", "pt": "95% ou mais", "en": "95% or more"},
    "clinic": {"es": "posta", "pt": "posto", "en": "clinic"},
    "tip_icu": {"es": "UCI: {share} de las camas dotadas en uso", "pt": "UTI: {share} dos leitos operacionais em uso", "en": "ICU {share} of staffed beds in use"},
    "tip_ward": {"es": "sala: {share} de las camas dotadas en uso", "pt": "enfermaria: {share} dos leitos operacionais em uso", "en": "ward {share} of staffed beds in use"},
    "tip_waiting": {"es": ", {n} esperando", "pt": ", {n} esperando", "en": ", {n} waiting"},
}  # fmt: skip


class AppLanguage(Language):
    """A ``Language`` that also knows the app's labels."""

    def app(self, label: str, **values: Any) -> str:
        """The app's label ``label`` in this language, with ``values`` filled in."""
        text = TEXT[label][self.code]
        return text.format(**values) if values else text


def current() -> AppLanguage:
    """The language the app was started with (``regional app --lang``; Spanish by default)."""
    code = os.environ.get(LANGUAGE_VARIABLE, "es")
    return AppLanguage(code if code in LANGUAGES else "es")
