def test_home_shows_fallback_links(testapp):
    page = testapp.get("/")
    assert 'href="tel:110"' in page.text
