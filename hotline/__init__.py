"""The 12345 hotline application: tickets, workflow, deadlines, ratings, API, pages."""
