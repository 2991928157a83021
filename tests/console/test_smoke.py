from tests.console.conftest import Console


def test_pages_render(console: Console) -> None:
    for user in ("admin", "op", "reviewer", "auditor", "inspector"):
        client = console.client(user)
        for path in (
            "/",
            "/registries/",
            "/plans",
            "/plans/2027-Q1",
            "/plans/2027-Q1/ceremony/",
            "/plans/2027-Q1/ceremony/screen",
            "/plans/2027-Q1/ceremony/record",
            "/plans/2027-Q1/draws/1",
            "/plans/2027-Q1/tasks",
            "/audit/",
            "/admin/users",
            "/my/tasks",
            "/items",
            "/deadlines",
            "/review",
            "/publish",
            "/results/import",
            "/registries/objects",
            "/plans/2027-Q3/ceremony/screen",
            "/plans/new",
        ):
            response = client.get(path)
            print(user, path, response.status_code)
            assert response.status_code < 500, response.get_data(as_text=True)[-3000:]
