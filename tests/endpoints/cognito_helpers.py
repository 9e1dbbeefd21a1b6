"""Shared by the Cognito trigger tests: handlers, and a user pool wired as the console wires it."""

from __future__ import annotations

PASSWORD = "Passw0rd!Passw0rd"

AUTO_CONFIRM = """
def lambda_handler(event, context):
    if event["request"]["userAttributes"].get("email", "").endswith("@blocked.example"):
        raise Exception("Registration from this domain is not allowed")
    event["response"]["autoConfirmUser"] = True
    event["response"]["autoVerifyEmail"] = True
    return event
"""

RECORD = """
def lambda_handler(event, context):
    return event
"""

ADD_CLAIM = """
def lambda_handler(event, context):
    event["response"]["claimsOverrideDetails"] = {
        "claimsToAddOrOverride": {"tier": "gold", "y": "1"},
        "claimsToSuppress": ["y"],
        "groupOverrideDetails": {"groupsToOverride": ["admins"]},
    }
    return event
"""

MIGRATE = """
def lambda_handler(event, context):
    if event["userName"] != "legacy" or event["request"].get("password", "secret-Old1!") != "secret-Old1!":
        raise Exception("Bad password")
    event["response"]["userAttributes"] = {"email": "legacy@example.com", "email_verified": "true"}
    event["response"]["finalUserStatus"] = "CONFIRMED"
    event["response"]["messageAction"] = "SUPPRESS"
    return event
"""

DEFINE = """
def lambda_handler(event, context):
    session = event["request"]["session"]
    if session and session[-1]["challengeResult"]:
        event["response"].update(issueTokens=True, failAuthentication=False)
    elif len(session) >= 2:
        event["response"].update(issueTokens=False, failAuthentication=True)
    else:
        event["response"].update(challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False)
    return event
"""

CREATE = """
def lambda_handler(event, context):
    event["response"]["publicChallengeParameters"] = {"question": "2 + 3?"}
    event["response"]["privateChallengeParameters"] = {"answer": "5"}
    event["response"]["challengeMetadata"] = "ARITHMETIC"
    return event
"""

VERIFY = """
def lambda_handler(event, context):
    expected = event["request"]["privateChallengeParameters"]["answer"]
    event["response"]["answerCorrect"] = event["request"]["challengeAnswer"] == expected
    return event
"""

MESSAGE = """
def lambda_handler(event, context):
    code = event["request"]["codeParameter"]
    event["response"]["smsMessage"] = "Your code is " + code
    event["response"]["emailSubject"] = "Welcome"
    event["response"]["emailMessage"] = "Hello, your code is " + code
    return event
"""


V2_CLAIMS = """
def lambda_handler(event, context):
    assert event["version"] == "2", event["version"]
    event["response"]["claimsAndScopeOverrideDetails"] = {
        "idTokenGeneration": {"claimsToAddOrOverride": {"plan": "pro"}},
        "accessTokenGeneration": {"claimsToAddOrOverride": {"tenant": "t1"}, "scopesToAdd": ["reports/read"]},
    }
    return event
"""


class Pool:
    """A user pool with an app client, its triggers wired as the console does (with the permission)."""

    def __init__(self, account, lambda_api, idp, **pool_options):
        self.account, self.lambda_api, self.idp = account, lambda_api, idp
        self.id = idp.create_user_pool(PoolName="students", **pool_options)["UserPool"]["Id"]
        self.client_id = idp.create_user_pool_client(
            UserPoolId=self.id,
            ClientName="app",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        self.config: dict[str, str] = {}

    def trigger(self, key, name, code, *, permit=True, **config):
        # One vCPU: Cognito gives a trigger 5 s and retries it after that, as AWS does; at 128 MB's share
        # of a CPU, beside the rest of the suite on two cores, a cold start can take that long.
        config.setdefault("memory_mb", 1769)
        function = self.account.register(name, code, **config)
        arn = f"arn:aws:lambda:{self.account.settings.region}:{self.account.settings.account_id}:function:{name}"
        if permit:
            settings = self.account.settings
            self.lambda_api.client().add_permission(
                FunctionName=function.name,
                StatementId=f"cognito-{key}",
                Action="lambda:InvokeFunction",
                Principal="cognito-idp.amazonaws.com",
                SourceArn=f"arn:aws:cognito-idp:{settings.region}:{settings.account_id}:userpool/{self.id}",
            )
        self.config[key] = arn
        self.idp.update_user_pool(UserPoolId=self.id, LambdaConfig=self.config)

    def events(self, name):
        return [inv.event for inv in self.account.invocation_records(name)]

    def sign_up(self, username, email):
        return self.idp.sign_up(
            ClientId=self.client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}],
        )

    def sign_in(self, username, password=PASSWORD, **options):
        return self.idp.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
            **options,
        )


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]
