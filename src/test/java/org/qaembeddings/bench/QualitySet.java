package org.qaembeddings.bench;

import java.util.List;

/**
 * Fifty-six QA pairs of a made-up software company's help desk, each with a query a user might type
 * instead: some share the pair's words, most say the same thing in others, as users do.
 */
public final class QualitySet {

    /** A pair and the query that should find it first. */
    public record Item(String question, String answer, String query) {}

    private QualitySet() {}

    public static final List<Item> ITEMS = List.of(
            new Item(
                    "How do I reset my password?",
                    "Open Settings, then Security, and choose Reset password.",
                    "forgot my login"),
            new Item(
                    "How do I change the email address on my account?",
                    "Go to Profile and edit the email field; we send a confirmation link.",
                    "update the address where I get mail from you"),
            new Item(
                    "Can I turn on two-factor authentication?",
                    "Yes, under Security you can add an authenticator app or a security key.",
                    "extra protection with a code from my phone"),
            new Item(
                    "How do I delete my account?",
                    "Write to support from the account's address and we remove it within seven days.",
                    "I want all my data gone for good"),
            new Item(
                    "Why was I logged out?",
                    "Sessions end after thirty days, or at once when your password changes.",
                    "the app keeps signing me off"),
            new Item(
                    "How do I invite a teammate?",
                    "Open Team, press Invite and enter their email address.",
                    "add a colleague to our workspace"),
            new Item(
                    "How do I remove someone from my team?",
                    "In Team, open the member's menu and choose Remove.",
                    "kick a former employee out"),
            new Item(
                    "What roles can team members have?",
                    "Owner, admin, editor and viewer; only owners manage billing.",
                    "difference between admin and viewer permissions"),
            new Item(
                    "How do I cancel my subscription?",
                    "Go to Billing and press Cancel plan; you keep access until the period ends.",
                    "stop paying every month"),
            new Item(
                    "Can I get a refund?",
                    "We refund annual plans in full within thirty days of purchase.",
                    "money back after buying the yearly plan"),
            new Item(
                    "Which payment methods do you accept?",
                    "Credit cards, PayPal and bank transfer for annual plans.",
                    "can I pay with paypal"),
            new Item(
                    "Where can I download my invoices?",
                    "Every invoice is under Billing, History, as a PDF.",
                    "bills for my purchases"),
            new Item(
                    "How do I add a VAT number to my invoices?",
                    "Enter it under Billing, Company details; later invoices show it.",
                    "tax id on receipts for my company"),
            new Item(
                    "What happens when my card is declined?",
                    "We retry three times over a week, then pause the account until it is paid.",
                    "payment failed what now"),
            new Item(
                    "Can I switch from monthly to yearly billing?",
                    "Yes, in Billing choose Change plan; the unused month is credited.",
                    "move to annual payments"),
            new Item(
                    "Do you offer discounts for nonprofits?",
                    "Registered charities get half off any plan; write to sales.",
                    "cheaper price for a charity"),
            new Item(
                    "Is there a free trial?",
                    "Every plan starts with fourteen days free, no card needed.",
                    "try it before paying"),
            new Item(
                    "How long does shipping take?",
                    "Orders arrive within three to five business days.",
                    "when will my parcel arrive"),
            new Item(
                    "Do you ship to Canada?",
                    "We ship to the United States, Canada and the European Union.",
                    "delivery to Toronto"),
            new Item(
                    "How do I track my order?",
                    "The shipping email has a tracking link; it is also under Orders.",
                    "where is my package right now"),
            new Item(
                    "Can I return a product?",
                    "Unused products can be returned within sixty days for a full refund.",
                    "send back something I bought"),
            new Item(
                    "What if my order arrives damaged?",
                    "Send us a photo within a week and we ship a replacement at no cost.",
                    "the box came broken"),
            new Item(
                    "Can I change my shipping address after ordering?",
                    "Yes, until the order is packed; edit it under Orders.",
                    "I moved, fix the delivery address"),
            new Item(
                    "Is there a mobile app?",
                    "Yes, for iOS and Android, with the same features as the web.",
                    "use it on my phone"),
            new Item(
                    "Does the app work offline?",
                    "Notes and tasks are available offline and sync when you reconnect.",
                    "no internet on the plane"),
            new Item(
                    "How do I export my data?",
                    "Settings, Data, Export gives a ZIP of CSV files.",
                    "download everything as a spreadsheet"),
            new Item(
                    "Can I import data from another tool?",
                    "We import CSV files and projects from Trello and Asana.",
                    "move my boards over from Trello"),
            new Item(
                    "How do I enable dark mode?",
                    "Settings, Appearance, Theme: choose Dark or follow the system.",
                    "black background at night"),
            new Item(
                    "Can I change the language of the interface?",
                    "Yes, under Settings, Language; twelve languages are available.",
                    "show the menus in German"),
            new Item(
                    "How do I set up notifications?",
                    "Under Settings, Notifications choose email, push or none for each event.",
                    "too many alerts, make them stop"),
            new Item(
                    "Where do I find my API key?",
                    "Developers, API keys; create a key and copy it once, it is not shown again.",
                    "token for calling your REST interface"),
            new Item(
                    "What are the API rate limits?",
                    "Each key may make 600 requests a minute; more get a 429 answer.",
                    "how many calls per minute can my script make"),
            new Item(
                    "Do you support webhooks?",
                    "Yes, register a URL under Developers, Webhooks to receive events.",
                    "get notified on my server when something changes"),
            new Item(
                    "Is there an SDK for Python?",
                    "Yes, install it with pip install acme-sdk; Java and Go SDKs exist too.",
                    "client library for my python scripts"),
            new Item(
                    "How do I rotate an API key?",
                    "Create a new key, switch your code to it, then revoke the old one.",
                    "replace a token that may have leaked"),
            new Item(
                    "Where is my data stored?",
                    "In data centres in Frankfurt and Dublin; EU data never leaves the EU.",
                    "which country hosts the servers"),
            new Item(
                    "Are you GDPR compliant?",
                    "Yes; we sign a data processing agreement with every customer on request.",
                    "european privacy law"),
            new Item(
                    "Is my data encrypted?",
                    "Data is encrypted in transit with TLS and at rest with AES-256.",
                    "is everything scrambled on disk"),
            new Item(
                    "Do you have SOC 2 certification?",
                    "Yes, a SOC 2 Type II report is available under NDA.",
                    "security audit report for our compliance team"),
            new Item(
                    "How do I report a security vulnerability?",
                    "Email security@acme.example; we answer within two business days.",
                    "I found a bug that exposes other users"),
            new Item(
                    "Can I use single sign-on?",
                    "Business plans support SAML and OpenID Connect single sign-on.",
                    "log in through our Okta"),
            new Item(
                    "How do I contact support?",
                    "Use the chat in the app or email support@acme.example.",
                    "talk to a human"),
            new Item(
                    "What are your support hours?",
                    "Monday to Friday, 8:00 to 20:00 Central European Time.",
                    "is anyone there on weekends"),
            new Item(
                    "Is there a status page?",
                    "status.acme.example shows outages and maintenance windows.",
                    "is the service down for everyone or just me"),
            new Item(
                    "How do I restore a deleted project?",
                    "Deleted projects stay in Trash for thirty days; open Trash and press Restore.",
                    "I removed a project by mistake"),
            new Item(
                    "How many projects can I have?",
                    "Free plans have three projects; paid plans have no limit.",
                    "is there a maximum number of projects"),
            new Item(
                    "What is the maximum file size for uploads?",
                    "Each upload may be up to 2 GB on paid plans and 100 MB on free.",
                    "my big video will not upload"),
            new Item(
                    "How much storage do I get?",
                    "Free plans get 5 GB, Team plans 1 TB per workspace.",
                    "how much space for my files"),
            new Item(
                    "Can I share a project with someone outside my team?",
                    "Yes, create a guest link with view or comment rights.",
                    "let a client look without an account"),
            new Item(
                    "How do I print a report?",
                    "Open the report and press Export, PDF, then print the file.",
                    "paper copy of the dashboard"),
            new Item(
                    "Can I schedule a report by email?",
                    "Yes, any report can be emailed daily, weekly or monthly.",
                    "send me the numbers every monday"),
            new Item(
                    "Which browsers are supported?",
                    "The last two versions of Chrome, Firefox, Safari and Edge.",
                    "does it work in safari"),
            new Item(
                    "Why is the app slow?",
                    "Large projects load slower; archiving old tasks and clearing the cache helps.",
                    "everything takes ages to load"),
            new Item(
                    "How do I connect a calendar?",
                    "Settings, Integrations, Calendar supports Google and Outlook.",
                    "sync deadlines with google calendar"),
            new Item(
                    "Can I use the product on several computers?",
                    "Yes, sign in anywhere; your work syncs across devices.",
                    "same account on my laptop and desktop"),
            new Item(
                    "Do you have an affiliate program?",
                    "Partners earn twenty percent of the first year's revenue of each referral.",
                    "get paid for recommending you"));
}
