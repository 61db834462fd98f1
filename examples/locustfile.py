"""Locust load for stc, in the style of seed 003's locustfile, with users that keep their cookies.

    locust -f examples/locustfile.py --headless -u 50 -r 10 --run-time 1m --host http://127.0.0.1:8080

Each simulated user is a browser session: Locust's HTTP client keeps the cookies stc sets, so with
`sticky: {mode: cookie}` every user stays on one backend. A user whose requests move to another
backend is counted under the request type STICKY ("moved to another backend"): not a failure,
since stc moves a session on purpose when its backend goes down or drains (and every request moves
without sticky sessions), but with sticky cookies and a steady pool it stays at zero. A 5xx
answer is a failure.
"""
from locust import HttpUser, between, task

SERVED_BY = "X-Served-By"


class CookieUser(HttpUser):
    host = "http://127.0.0.1:8080"
    wait_time = between(0.1, 0.5)

    def on_start(self):
        self.backend = None

    @task(3)
    def home(self):
        self.visit("/", "/")

    @task(1)
    def cart(self):
        self.visit("/shop/cart?user=%d" % id(self), "/shop/cart")

    def visit(self, path, name):
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code >= 500:
                response.failure("HTTP %d from %s" % (response.status_code, response.headers.get(SERVED_BY, "stc")))
                return
            served = response.headers.get(SERVED_BY)
            if served and self.backend and served != self.backend:
                self.environment.events.request.fire(
                    request_type="STICKY", name="moved to another backend", response_time=0,
                    response_length=0, response=None, context={}, exception=None)
            if served:
                self.backend = served
            response.success()
