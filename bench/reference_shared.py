"""What both references (bench/reference.py, pandas; bench/reference_polars.py, polars)
read the synthetic CRM export with: the columns, placeholders, free-mail domains and the
job-title keyword tables. Plain Python, so that neither reference imports the other's
data frame library (the polars reference once paid pandas' import time through here).
"""

PLACEHOLDERS = {"", "select", "unknown", "n/a", "na", "null", "none", "-", "?", "(blank)"}
FREE_MAIL = {"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "msn.com",
             "aol.com", "icloud.com", "me.com", "mail.com", "gmx.com", "protonmail.com", "yandex.com"}
SENIORITY = [
    ("student/intern", ["student", "intern", "internship", "trainee", "graduate", "apprentice", "phd"]),
    ("vp", ["vp", "svp", "evp", "avp", "vice president"]),
    ("c-level", ["chief", "ceo", "cto", "cfo", "coo", "cmo", "cio", "cro", "founder", "cofounder", "co founder",
                 "owner", "president", "partner", "managing director"]),
    ("director", ["director", "head of", "head"]),
    ("manager", ["manager", "lead", "supervisor", "principal"]),
]
FUNCTIONS = [
    ("sales", ["sales", "account executive", "business development", "bdr", "sdr", "revenue", "account manager", "cro"]),
    ("marketing", ["marketing", "growth", "brand", "content", "demand", "cmo", "seo", "communications"]),
    ("engineering/it", ["engineer", "engineering", "developer", "software", "it", "technology", "cto", "cio", "data",
                        "devops", "architect", "technical", "security"]),
    ("finance", ["finance", "financial", "cfo", "accounting", "accountant", "controller", "treasurer"]),
    ("hr", ["hr", "human resources", "people", "talent", "recruiter", "recruiting"]),
    ("operations", ["operations", "coo", "ops", "procurement", "supply", "logistics"]),
    ("executive", ["ceo", "founder", "cofounder", "owner", "president", "managing director", "general manager"]),
    ("student", ["student", "intern", "trainee"]),
]
NUMBERS = ["employees", "website_visits", "pricing_page_views", "careers_page_views", "email_opens", "email_clicks",
           "webinars_attended", "content_downloads"]
DATES = ["created_date", "last_activity_date"]
CATEGORIES = ["industry", "country", "lead_source"]
ID, LABEL = "lead_id", "outcome"
