"""The Lambda handlers' source root (index.py, guard.py, running_model/). Installed with the library as
rekognition_running_model.handler_src, which this file makes a regular package, so that editable
installs of a clone import it too. Bundling leaves it out of the Lambda asset."""
