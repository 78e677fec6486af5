"""The location picker on the public forms: the phone's position, a point picked on the map (Leaflet
over the portal's own tiles; the schematic sketch where no map is configured), a dragged pin, typed
coordinates, and the messages people see, with no script errors, no CSP violations, no accessibility
violations and no request leaving the portal.

Demo geography (portal/demo/data.py): the province spans lon 114-118, lat 37-40; three cities split
it west to east, each into a southern and a northern county at lat 38.5."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import ConsoleWatcher
from tests.browser.test_public_pages import describe, first_notice_path

AXE = Axe()
HEKOU = (38.0, 114.5)  # Dongchuan city, southern county
YUNTAI = (39.5, 117.5)  # Xiling city, northern county


@pytest.fixture
def open_page(browser, live_server):
    """A page factory: a phone-sized context in English (or the given language), geolocation granted
    at `position` (or not granted at all), and every request that would leave the portal refused
    and remembered."""
    contexts = []

    def open_page(path, position=None, lang="en"):
        options = {"viewport": {"width": 390, "height": 844}, "locale": "en-US"}
        if position is not None:
            options.update(geolocation={"latitude": position[0], "longitude": position[1], "accuracy": 35},
                           permissions=["geolocation"])
        context = browser.new_context(**options)
        contexts.append(context)
        offsite = []

        def guard(route):
            if route.request.url.startswith(live_server + "/"):
                route.continue_()
            else:
                offsite.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        # Every CSP violation is an event in the page: counted from before the first script runs.
        context.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                                " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
        page = context.new_page()
        page.console = ConsoleWatcher(page)
        page.offsite = offsite
        if path == "SIGHTING":
            path = first_notice_path(page, live_server) + "/sightings/new"
        page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
        expect(page.locator(".location-map .leaflet-tile-loaded").first).to_be_visible()  # the map has loaded
        return page

    yield open_page
    for context in contexts:
        context.close()


def picker(page):
    fieldset = page.locator("fieldset.location").first
    return {name: fieldset.locator(f'input[name="{name}"]') for name in ("lat", "lon", "accuracy_m")} | {
        "fieldset": fieldset, "status": fieldset.locator(".location-status"),
        "use": fieldset.locator(".location-use"), "clear": fieldset.locator(".location-clear"),
        "map": fieldset.locator(".location-map.has-map"), "marker": fieldset.locator(".map-pin")}


def assert_clean(page):
    assert page.console.errors == []
    assert page.offsite == []
    assert page.evaluate("window.__csp") == []


def pixel_of(page, lat, lon):
    """Where a place is on the picker's map, in pixels from the map's top left corner."""
    return page.evaluate("""([lat, lon]) => {
        const p = document.querySelector("fieldset.location .location-map").portalMap.latLngToContainerPoint([lat, lon]);
        return {x: p.x, y: p.y};
    }""", [lat, lon])


@pytest.mark.parametrize("path", ["SIGHTING", "/missing/new"])
def test_use_my_location_fills_the_point_and_says_how_exact_it_is(open_page, path):
    page = open_page(path, position=HEKOU)
    p = picker(page)
    p["use"].click()
    expect(p["status"]).to_have_text("Location found, within about 35 m. This is in the area of Hekou District Branch.")
    assert float(p["lat"].input_value()) == HEKOU[0] and float(p["lon"].input_value()) == HEKOU[1]
    assert p["accuracy_m"].input_value() == "35"
    expect(p["marker"]).to_have_count(1)
    expect(p["clear"]).to_be_visible()
    assert_clean(page)


@pytest.mark.parametrize("path", ["SIGHTING", "/missing/new"])
def test_a_tap_on_the_map_picks_a_point_and_names_the_unit(open_page, path):
    page = open_page(path, position=HEKOU)
    p = picker(page)
    p["use"].click()
    expect(p["accuracy_m"]).to_have_value("35")
    # The map moved to the position: a tap a little north-east of it picks a point with no GPS accuracy.
    p["map"].click(position=pixel_of(page, HEKOU[0] + 0.004, HEKOU[1] + 0.004))
    assert abs(float(p["lat"].input_value()) - (HEKOU[0] + 0.004)) < 0.001
    assert abs(float(p["lon"].input_value()) - (HEKOU[1] + 0.004)) < 0.001
    assert p["accuracy_m"].input_value() == ""
    expect(p["status"]).to_have_text("This is in the area of Hekou District Branch.")
    expect(p["marker"]).to_have_count(1)
    expect(p["fieldset"].locator(".map-accuracy")).to_have_count(0)  # a picked point has no circle
    assert_clean(page)


def test_the_pin_can_be_dragged_and_the_coordinates_follow(open_page):
    page = open_page("SIGHTING", position=HEKOU)
    p = picker(page)
    p["use"].click()
    expect(p["fieldset"].locator(".map-accuracy")).to_have_count(1)  # 35 m around the phone's position
    p["marker"].hover()  # waits until the map has stopped moving to the position
    pin = p["marker"].bounding_box()
    start = {"x": pin["x"] + pin["width"] / 2, "y": pin["y"] + pin["height"] / 2}
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(start["x"] + 6 * step, start["y"] + 4 * step)
    page.mouse.up()
    expect(p["accuracy_m"]).to_have_value("")
    lat, lon = float(p["lat"].input_value()), float(p["lon"].input_value())
    assert lat < HEKOU[0] and lon > HEKOU[1]  # dragged down and right: south-east
    assert abs(lat - HEKOU[0]) < 0.05 and abs(lon - HEKOU[1]) < 0.05
    expect(p["status"]).to_have_text("This is in the area of Hekou District Branch.")
    expect(p["marker"]).to_have_count(1)
    assert_clean(page)


def test_the_map_is_leaflet_over_the_portal_s_own_tiles(open_page, live_server):
    page = open_page("/missing/new")
    tiles = page.locator("fieldset.location .leaflet-tile-loaded")
    expect(tiles.first).to_be_visible()
    sources = tiles.evaluate_all("images => images.map(i => [i.src, i.naturalWidth])")
    assert sources and all(src.startswith(live_server + "/map/tiles/") and width == 256 for src, width in sources)
    # Towns are named over the tiles (from /map/places.json), in Chinese.
    expect(page.locator("fieldset.location .map-label-1").first).to_be_attached()
    assert page.locator("fieldset.location .map-label-1 span[lang='zh-Hans']").all_text_contents()[:1] != []
    expect(page.locator("fieldset.location .leaflet-control-attribution")).to_contain_text("police areas")
    assert_clean(page)


def test_typed_coordinates_move_the_marker_and_clear_removes_the_point(open_page):
    page = open_page("SIGHTING")
    p = picker(page)
    expect(p["marker"]).to_have_count(0)
    expect(p["clear"]).to_be_hidden()
    p["fieldset"].locator("summary").click()  # the coordinates, keyboard-reachable in <details>
    p["lat"].fill(str(YUNTAI[0]))
    p["lon"].fill(str(YUNTAI[1]))
    expect(p["status"]).to_have_text("This is in the area of Yuntai County Bureau.")
    expect(p["marker"]).to_have_count(1)
    marker = p["marker"].bounding_box()
    box = p["map"].bounding_box()
    # The map moved to the typed point: the pin's tip is in view.
    assert box["x"] < marker["x"] + marker["width"] / 2 < box["x"] + box["width"]
    assert box["y"] < marker["y"] + marker["height"] < box["y"] + box["height"]
    p["lon"].fill("200")  # impossible: no marker, no claim about an area
    expect(p["marker"]).to_have_count(0)
    expect(p["status"]).to_have_text("")
    p["lon"].fill(str(YUNTAI[1]))
    p["clear"].click()
    for name in ("lat", "lon", "accuracy_m"):
        assert p[name].input_value() == ""
    expect(p["marker"]).to_have_count(0)
    expect(p["status"]).to_have_text("The point was cleared.")
    expect(p["use"]).to_be_focused()
    assert_clean(page)


def test_a_refused_location_says_what_to_do_instead(open_page):
    page = open_page("/missing/new")  # geolocation not granted: headless Chromium denies it
    p = picker(page)
    p["use"].click()
    expect(p["status"]).to_have_text("Location was not shared. Type the place, or pick it on the map.")
    assert p["lat"].input_value() == "" and p["accuracy_m"].input_value() == ""
    expect(p["use"]).to_be_enabled()
    assert_clean(page)


def test_the_words_come_in_the_pages_language(open_page):
    page = open_page("SIGHTING", position=HEKOU, lang="zh_CN")
    p = picker(page)
    p["use"].click()
    expect(p["status"]).to_contain_text("东川市河口区公安分局")  # the unit's Chinese name from /units.geojson
    assert_clean(page)


@pytest.mark.parametrize("path, lang", [("SIGHTING", "en"), ("/missing/new", "en"), ("SIGHTING", "ug"),
                                        ("/missing/new", "zh_CN")])
def test_no_axe_violations_with_the_picker_in_use(open_page, path, lang):
    page = open_page(path, position=HEKOU, lang=lang)
    p = picker(page)
    p["use"].click()
    expect(p["marker"]).to_have_count(1)
    p["fieldset"].locator("summary").click()
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    assert_clean(page)


def test_without_javascript_the_plain_fields_remain(browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto(live_server + "/missing/new?lang=en")
    fieldset = page.locator("fieldset.location").first
    expect(fieldset.locator('input[name="place"]')).to_be_visible()
    expect(fieldset.locator(".location-tools")).to_be_hidden()  # no button that could not work
    fieldset.locator("summary").click()
    for name in ("lat", "lon", "accuracy_m"):
        expect(fieldset.locator(f'input[name="{name}"]')).to_be_editable()
    context.close()


def test_the_read_only_point_map_shows_a_stored_point_on_the_map(open_page, live_server):
    """templates/_point_map.html as rendered with the maps' settings (the picker's attributes)."""
    page = open_page("/missing/new")
    page.evaluate("""() => {
        const figure = document.createElement("figure");
        figure.className = "point-map";
        Object.assign(figure.dataset, document.querySelector("fieldset.location").dataset,
                      {pointMap: "", lat: "39.5", lon: "117.5", accuracy: "2000", msgMapLabel: "Stored point"});
        delete figure.dataset.locationReady;
        figure.innerHTML = '<div class="location-map"></div><figcaption>39.5, 117.5</figcaption>';
        document.querySelector("main").append(figure);
    }""")
    page.add_script_tag(url=live_server + "/static/js/location-picker.js")
    figure = page.locator("figure.point-map")
    figure.scroll_into_view_if_needed()  # drawn when it comes near the screen
    expect(figure.locator(".location-map.has-map[aria-label='Stored point'] .leaflet-tile-loaded").first).to_be_visible()
    expect(figure.locator(".map-accuracy")).to_have_count(1)
    expect(figure.locator(".map-spot")).to_have_count(1)
    centre = page.evaluate("""() => {
        const c = document.querySelector("figure.point-map .location-map").portalMap.getCenter();
        return [c.lat, c.lng];
    }""")
    assert abs(centre[0] - 39.5) < 0.01 and abs(centre[1] - 117.5) < 0.01
    expect(picker(page)["fieldset"].locator(".leaflet-container")).to_have_count(1)  # the form's map not made twice
    assert_clean(page)


def test_the_read_only_point_map_draws_a_sketch_without_map_settings(open_page, live_server):
    """templates/_point_map.html on a staff page: here its markup is added to a served page, then
    the script runs again for it (the same file the snippet includes)."""
    page = open_page("/missing/new")
    page.evaluate("""html => document.querySelector("main").insertAdjacentHTML("beforeend", html)""",
                  '<figure class="point-map" data-point-map data-lat="39.5" data-lon="117.5" data-accuracy="20000"'
                  ' data-units-url="/units.geojson" data-msg-map-label="Sketch map">'
                  '<div class="location-map"></div><figcaption>39.5, 117.5</figcaption></figure>')
    page.add_script_tag(url=live_server + "/static/js/location-picker.js")
    figure = page.locator("figure.point-map")
    figure.scroll_into_view_if_needed()  # drawn when it comes near the screen
    expect(figure.locator("svg.location-svg[aria-label='Sketch map']")).to_be_visible()
    expect(figure.locator("path.is-selected")).to_have_count(1)
    expect(figure.locator('path.is-selected[data-code="139932"]')).to_have_count(1)  # Yuntai county
    expect(figure.locator(".location-accuracy")).to_have_count(1)  # 20 km is wider than the dot
    expect(picker(page)["fieldset"].locator(".location-svg")).to_have_count(0)  # the form keeps its real map
    assert_clean(page)
