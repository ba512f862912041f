"""Word lists for the labeled evaluation corpus (``corpus.py``): names, places, organisations, fillers."""

from __future__ import annotations


def words(text: str) -> list[str]:
    return text.split()


FIRST = words("""James Mary Robert Patricia Michael Jennifer William Linda David Elizabeth Richard Barbara Joseph Susan
Thomas Jessica Charles Sarah Daniel Karen Matthew Nancy Anthony Lisa Mark Margaret Steven Sandra Andrew Ashley
Priya Rahul Wei Mei Hiroshi Yuki Olga Dmitri Fatima Omar Carlos Sofia Lucas Emma Noah Chloe Mateo Ingrid Lars
Aisha Kwame Chen Anna Pierre Camille Giulia Marco Sven Freya""")
LAST = words("""Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson
Walker Young Allen
Patel Sharma Wang Zhang Tanaka Sato Ivanova Petrov Khan Haddad Silva Rossi Muller Schneider Dubois Lefevre
Johansson Nielsen Okafor Mensah Kowalski Novak OBrien Murphy""")
CITIES = words("""London Paris Berlin Madrid Rome Amsterdam Vienna Prague Warsaw Stockholm Oslo Copenhagen Dublin Lisbon
Chicago Boston Seattle Denver Atlanta Houston Toronto Vancouver Sydney Melbourne Tokyo Osaka Seoul Singapore Mumbai
Delhi Nairobi Lagos Cairo Istanbul Athens Zurich Munich Hamburg Milan Barcelona""")
COUNTRIES = ["France", "Germany", "Spain", "Italy", "Japan", "Canada", "Brazil", "India", "Kenya", "Norway", "Poland"]
ORGS = [
    "Microsoft", "Google", "Amazon", "Deutsche Bank", "Goldman Sachs", "Siemens", "Toyota", "Pfizer", "Unilever",
    "Acme Corporation", "Globex Corporation", "Initech", "Northwind Traders", "Contoso Ltd", "Stark Industries",
    "Wayne Enterprises", "Umbrella Corporation", "the World Health Organization", "the European Commission",
    "Barclays", "HSBC", "Accenture", "Deloitte", "Salesforce", "Oracle", "IBM", "Intel", "Nvidia", "Shopify",
]  # fmt: skip
DOMAINS = ["example.com", "example.org", "mail.example.net", "corp.example.co.uk", "example.de", "acme.example"]
TOPICS = [
    "the quarterly report", "the migration plan", "the onboarding checklist", "the refund", "the outage",
    "the release notes", "the contract renewal", "the invoice dispute", "the API rate limits", "the new dashboard",
]  # fmt: skip
FILLER = [
    "Let me know if you need anything else from our side.",
    "We have tried restarting the service twice, without success.",
    "The issue started right after the latest deployment.",
    "Could you summarise the main points in three bullet lines?",
    "Please keep the answer short and use a friendly tone.",
    "This is blocking the whole team, so a quick reply would help a lot.",
    "I attached the relevant part of the configuration below.",
    "Nothing in the changelog explains this behaviour.",
]
NEGATIVES = [
    "Order ORD-2024-558812 shipped in 3 parcels.",
    "Upgrade from version 2.14.3 to 3.0.1 (build 20240312.4).",
    "Reference book ISBN 978-0-306-40615-7, second edition.",
    "Job finished at 2024-03-12T10:22:01Z after 00:04:13.",
    "Checksum sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 verified.",
    "Commit 3f2a9c1b0d4e5f60718293a4b5c6d7e8f9a0b1c2 fixed the regression.",
    "Request id 123e4567-e89b-12d3-a456-426614174000 returned status 502.",
    "Invoice INV-000457 totals 1,249.99 EUR, ticket #48213.",
    "Listening on port 8080, worker pool of 16, queue depth 256.",
    "Tracking number 1Z999AA10123456784 is in transit.",
    "Use pip install numpy==1.26.4 and python 3.11.7.",
    "Error code 0x80070005 at offset 0x0040FF12.",
]
# {SLOT}: a generated value labeled with its entity type; {NEG}, {FILLER}, {TOPIC}, {DATE}: unlabeled text
TEMPLATES = [
    "Hi support, this is {PERSON} from {ORGANIZATION}. My card {CREDIT_CARD} was charged twice for {TOPIC}. "
    "You can reach me at {EMAIL_ADDRESS} or {PHONE_NUMBER}. {NEG} {FILLER}\n",
    "Customer {PERSON} (SSN {US_SSN}) from {LOCATION} asks us to move the payout to IBAN {IBAN_CODE}. {NEG}\n",
    "Dear {PERSON},\n\nthank you for meeting us in {LOCATION} last week. As discussed, {ORGANIZATION} will send the "
    "draft of {TOPIC} to {EMAIL_ADDRESS}. {FILLER}\n\nBest regards,\n{PERSON}\n{PHONE_NUMBER}\n",
    "Why does this fail?\n```python\nimport boto3\ns3 = boto3.client('s3', aws_access_key_id='{AWS_KEY_ID}', "
    "aws_secret_access_key='{AWS_SECRET}')\n```\n{NEG}\n",
    "My .env is:\nDATABASE_URL=postgres://{URL_CREDENTIALS}@db.internal:5432/app\nAPI_TOKEN={SECRET_API_KEY}\n"
    "DB_PASSWORD={PASSWORD}\nWhat is wrong with it? {FILLER}\n",
    "curl -H 'Authorization: Bearer {JWT}' {URL} returns 401. {NEG}\n",
    "Here is the service account key, please check the format:\n{PRIVATE_KEY}\n{FILLER}\n",
    "2024-03-12T10:22:01Z INFO login ok user={EMAIL_ADDRESS} ip={IP_ADDRESS}\n"
    "2024-03-12T10:22:05Z WARN rate limit exceeded ip={IP_ADDRESS} {NEG}\n",
    "The deploy bot uses {SECRET_API_KEY}; the runbook is at {URL}. {NEG}\n",
    "Summarise: {PERSON} was born on {DATE} in {LOCATION} and joined {ORGANIZATION} in {LOCATION}. {FILLER}\n",
    "Write a polite reminder to {PERSON} at {ORGANIZATION} about {TOPIC}; cc {PERSON}. {NEG}\n",
    "Translate for our office in {LOCATION}: our support line {PHONE_NUMBER} is closed today. {FILLER}\n",
    "{LOCATION} is where the team meets next month. {ORGANIZATION} asked for {TOPIC} by email. {FILLER}\n",
    "Meeting notes: {TOPIC} discussed. {NEG} {FILLER} Nobody raised concerns about the timeline.\n",
]
