"""The imaging-server probe: DICOM (DIMSE), DICOMweb, Orthanc REST and web viewers, counted, never downloaded."""
