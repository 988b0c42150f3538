"""The plugin loads through its entry point, beside the built-ins, and checks its settings."""

import codeqr_styled
import pytest

import codeqr


def test_the_plugin_is_loaded_from_its_entry_point(make_app):
    state = make_app().extensions["codeqr"]
    assert state.pm.get_plugin("styled") is codeqr_styled
    renderers = state.images.renderers
    assert {"styled-png", "styled-svg", "png", "svg"} <= set(renderers)
    assert type(renderers["styled-png"]) is codeqr_styled.StyledPngRenderer
    assert type(renderers["styled-svg"]) is codeqr_styled.StyledSvgRenderer


def test_codeqr_plugins_lists_it_with_its_version_and_hooks(make_app):
    result = make_app().test_cli_runner().invoke(args=["plugins"])
    assert result.exit_code == 0, result.output
    assert "styled 0.1.0: codeqr_config_defaults, codeqr_register_renderers\n" in result.output
    assert "png " in result.output and "svg " in result.output  # the built-ins stay


def test_defaults_are_rounded_modules_and_eyes_in_fg_color(make_app):
    app = make_app()
    assert app.config["CODEQR_STYLED_MODULES"] == "rounded"
    assert app.config["CODEQR_STYLED_EYES"] == "rounded"
    assert app.config["CODEQR_STYLED_EYE_COLOR"] is None
    renderer = app.extensions["codeqr"].images.renderers["styled-png"]
    assert renderer.version == "1;modules=rounded,eyes=rounded,eye=fg"


def test_settings_come_from_the_environment_too(make_app, monkeypatch):
    monkeypatch.setenv("CODEQR_STYLED_MODULES", "dots")
    monkeypatch.setenv("CODEQR_STYLED_EYE_COLOR", "#F0A")
    style = make_app().extensions["codeqr"].images.renderers["styled-svg"].style
    assert (style.modules, style.eyes, style.eye_color) == ("dots", "rounded", "#ff00aa")
    monkeypatch.setenv("CODEQR_STYLED_EYE_COLOR", "")  # set but empty: the default, fgColor
    assert make_app().extensions["codeqr"].images.renderers["styled-svg"].style.eye_color is None


@pytest.mark.parametrize("setting,value,message", [
    ("CODEQR_STYLED_MODULES", "hearts", "expected one of square, rounded, dots"),
    ("CODEQR_STYLED_EYES", "dots", "expected one of square, rounded, circle"),
    ("CODEQR_STYLED_EYE_COLOR", "red", "expected #rgb or #rrggbb"),
])
def test_a_bad_setting_stops_the_app_with_its_name(make_app, setting, value, message):
    with pytest.raises(codeqr.PluginError, match=f"{setting}=.*{message}"):
        make_app(**{setting: value})


def test_the_plugin_can_be_disabled_by_name(make_app):
    state = make_app(CODEQR_DISABLED_PLUGINS=["styled"]).extensions["codeqr"]
    assert "styled-png" not in state.images.renderers and "png" in state.images.renderers
