"""Headless Chromium from Debian (/usr/bin/chromium, /usr/bin/chromedriver) driven by Selenium.

Selenium Manager would download a driver; pointing it at the system one keeps everything local.
Selenium's calls block, so tests run them in a thread while the servers keep the event loop.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get("NETOPS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NETOPS_CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver")


@contextlib.contextmanager
def headless_chromium(width: int = 1400, height: int = 1000) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en-US"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def save_full_page(driver: webdriver.Chrome, path: str) -> None:
    """A screenshot of the whole page, not just the window: the window grows to the page's height."""
    width = driver.get_window_size()["width"]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, height + 120)  # the browser's own chrome takes part of the window
    driver.save_screenshot(path)
